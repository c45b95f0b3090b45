"""Pages for every visitor, logged in or not: the accessibility statement with its report form, the privacy notice."""
