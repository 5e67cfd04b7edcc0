"""The machinery of the tenancy matrix in ``tests/test_tenancy.py``: the
roles, the world of objects they own, the walk over the URL resolver and the
fingerprint that shows a refused request changed nothing. No tests here.

The world is two municipalities (鹿屋市 ``kanoya`` with departments A1 and
A2, 霧島市 ``kirishima`` with B1 and B2) and two suppliers: supplier a
(an owner and a clerk) works with A1 and A2, supplier b (an owner) with A1
and B1, so that "foreign" is tested inside one department, inside one
municipality and across municipalities.
"""
