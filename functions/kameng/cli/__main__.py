"""`python -m kameng.cli`: the same tool as the `kameng` command."""
from kameng.cli import main

raise SystemExit(main())
