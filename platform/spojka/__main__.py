from spojka.cli import main

main()
