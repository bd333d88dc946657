"""Pure parsers and normalisers: text in, values or messages out.

Nothing here touches the database, the session or the request, so forms, services, the
roster and registry pipelines and the CLI all share them, and they are tested on plain
strings: ``validation`` (NPI, phone, ZIP, URL, state and per-field checks), ``normalize``
(forgiving addresses, names and credentials over standard vocabularies), ``languages``
(ISO 639 codes, names and aliases) and ``provider_details`` (certifications, education and
affiliations typed one per line or packed in a roster cell).
"""
