class Main {
    static function main() {
        var x:Int = "not a number";
        Sys.println(x);
    }
}
