"""What only benchmark.py uses: the course's tutorial-style training loops, timed beside the project's."""
