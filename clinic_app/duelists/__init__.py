"""Due lists: the clinic's daily work lists of clients to see or trace."""
