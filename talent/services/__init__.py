"""All writes of contacts, events, consent and personal-data rights. See the modules for each subject."""
