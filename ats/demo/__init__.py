"""The main job on embedded defaults (``ats demo``)."""
