from flagdeck.cli.main import main

raise SystemExit(main())
