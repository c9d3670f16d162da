import sys

from flagdeck.demo_target import main

raise SystemExit(main(sys.argv[1:]))
