(import (chicken io))
(display (read-string #f (current-input-port)))
