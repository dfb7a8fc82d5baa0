import pathlib
import sys

# tests import the shared helpers (gradcheck) as top-level modules
sys.path.insert(0, str(pathlib.Path(__file__).parent))
