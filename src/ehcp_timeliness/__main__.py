from ehcp_timeliness.cli.app import main

main()
