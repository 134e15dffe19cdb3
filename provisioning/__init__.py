"""``lh-provision``: the technician's command line: site CA, device credentials, ACL, bundles."""
