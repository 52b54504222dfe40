"""Sign-in, sign-out, own account, and user administration."""
