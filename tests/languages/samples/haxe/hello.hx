class Main {
    static function main() {
        Sys.println("Hello, World!");
    }
}
