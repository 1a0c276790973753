def main()
    print("missing colon")
