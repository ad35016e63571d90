"""The book: page providers for the servingmath site (chapter values, errata, figures, ...).

Everything here depends on the calculator in :mod:`servingmath`; nothing in the calculator
imports from here.
"""
