from flashtrain.cli import main

raise SystemExit(main())
