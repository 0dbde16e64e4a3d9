from nrsim.cli.app import main

main()
