"""Partner pages: ``supplier`` (the supplier area), ``requests`` (a
municipality's public request form), ``invitations`` (links in invitation
mail)."""
