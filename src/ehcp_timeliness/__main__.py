from ehcp_timeliness.cli.app import entry

entry()
