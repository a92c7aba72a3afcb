# Mounts' Python runner: the entry point of every `wsgi` and `asgi` mount.
#
#   python runner.py wsgi|asgi MODULE:ATTRIBUTE "WHERE THE INTERPRETER CAME FROM"
#
# with PORT, HOST and MOUNT_PREFIX in the environment (the command supervisor sets them). This file
# only checks the interpreter's version and then hands over to mounts_serve.py, so it is written to
# parse under any Python, 2.7 included: an old interpreter must get a clear message, not a
# SyntaxError from code it cannot read.
import os
import sys

MINIMUM = (3, 8)


def main():
    source = sys.argv[3] if len(sys.argv) > 3 else 'unknown'
    if sys.version_info[:2] < MINIMUM:
        sys.stderr.write(
            'mounts: %s is Python %d.%d (%s); wsgi and asgi mounts need Python %d.%d or newer\n'
            % (sys.executable, sys.version_info[0], sys.version_info[1], source, MINIMUM[0], MINIMUM[1]))
        sys.exit(3)
    here = os.path.dirname(os.path.abspath(__file__))
    # The runner's folder must not shadow the app's modules: it is on sys.path only for this import.
    sys.path[0] = here
    # Nor leave a __pycache__ in Mounts' own folder (read-only once installed). Afterwards the
    # setting goes back to what the environment asked for: Mounts sets PYTHONDONTWRITEBYTECODE for
    # the app's modules (apps/python/app.ts says why), which this import must not undo.
    asked_for = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    import mounts_serve
    sys.dont_write_bytecode = asked_for
    sys.path[0] = os.getcwd()
    mounts_serve.main(sys.argv[1], sys.argv[2], source)


if __name__ == '__main__':
    main()
