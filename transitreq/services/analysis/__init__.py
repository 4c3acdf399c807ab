"""Weighing sites: the evaluation and its score, the review queue with cached scores, the planners'
layers, the city overview and loaded datasets.
"""
