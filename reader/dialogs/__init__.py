"""The dialogs: small modal screens that ask one thing and answer the screen that asked."""
