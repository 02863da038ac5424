"""The probe-station window: ``labspin gui [--station FILE | --sim]``.

Five views over one open station and one runs catalog: *Measure* (a procedure, its
parameters with units, live plots with past runs beside them, a list of runs to do),
*Station* (instruments, live field and temperature, Make safe), *Queue* (a queue file,
journaled like ``labspin queue run``, and new queues swept from the Measure view's
settings), *Past runs* (the catalog, each run drawn with its fit) and *Log* (labspin's
log records). Everything that touches an
instrument runs in one worker thread at a time, through the same ``run_procedure`` and
``run_queue`` as the command line, so the window adds no second way of measuring.
"""

#: the window's views, in tab order (here, so the CLI can offer them without Qt)
VIEWS = ("measure", "station", "queue", "runs", "log")
