"""``python -m cptref``."""

from .shell import main

if __name__ == "__main__":
    main()
