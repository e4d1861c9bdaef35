"""``python -m pipelines.demo.medical_examiner``: see :mod:`.command_line`."""

from pipelines.demo.medical_examiner.command_line import main

raise SystemExit(main())
