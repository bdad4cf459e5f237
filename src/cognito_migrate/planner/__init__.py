"""The planner: reads the target pool once into a ``PoolProfile``, checks every user against pure rules,
and decides per user: reject (with reasons) or migrate, by which strategy, with which password handling.
"""
