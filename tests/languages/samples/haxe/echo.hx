class Main {
    static function main() {
        Sys.stdout().write(Sys.stdin().readAll());
    }
}
