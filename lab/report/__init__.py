"""What a run leaves behind for people: the evidence folder (evidence.py)."""
