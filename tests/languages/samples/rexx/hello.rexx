say 'Hello, World!'
