def main() {
    println "unclosed"
