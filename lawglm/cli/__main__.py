"""`python -m lawglm.cli`."""

from lawglm.cli import main

if __name__ == "__main__":
    main()
