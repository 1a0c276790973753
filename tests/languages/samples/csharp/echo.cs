using System;

class Program
{
    static void Main()
    {
        Console.Out.Write(Console.In.ReadToEnd());
    }
}
