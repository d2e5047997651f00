"""Wire types shared by the hub and the agent. Imports nothing else of watchkeep."""
