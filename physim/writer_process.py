"""Entry point of the output-writer child process (see physim.io.Writer)."""
import sys
from multiprocessing.connection import Connection

from physim.io import serve

if __name__ == "__main__":
    serve(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False))
