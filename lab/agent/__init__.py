"""Programs that run inside the lab's hosts. Standard library only, and no
import from the rest of `lab`: this package is copied into the host image
as the top-level package `agent`."""
