int main()
{
    int x = "text"
    return 0;
}
