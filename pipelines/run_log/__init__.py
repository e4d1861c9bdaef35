"""How a pipeline run reports itself: step lines and a summary on the terminal, the full log in a file."""
