"""Acquisition functions: numpy arrays in, scores or indices out, no I/O."""
from strategies.balance import class_balanced, label_studio_order
from strategies.baseline import random_scores
from strategies.bayesian import bald
from strategies.boxes import flip_horizontally, iou
from strategies.cold_start import typiclust
from strategies.detection import (
                                  DETECTION_STRATEGIES,
                                  DETECTION_THRESHOLD,
                                  POOL_RELATIVE_STRATEGIES,
                                  consistency,
                                  image_uncertainty,
                                  score_detections,
)
from strategies.diversity import badge, coverage_batch, greedy_coreset, selection_scores
from strategies.exceptions import EmptyPoolError, InvalidProbabilitiesError, StrategyError, UnknownStrategyError
from strategies.scoring import (
                                BATCH_STRATEGIES,
                                CLASS_STRATEGIES,
                                COVERAGE_STRATEGIES,
                                DEFAULT_STRATEGY,
                                MC_STRATEGIES,
                                STRATEGIES,
                                check_strategy,
                                score,
                                strategy_at,
)
from strategies.sequence import (
                                  SEQUENCE_STRATEGIES,
                                  max_token_entropy,
                                  min_token_margin,
                                  mnlp,
                                  score_sequences,
                                  sequence_bald,
                                  token_entropy,
)
from strategies.stopping import STOP_KAPPA, STOP_WINDOW, agreement_threshold, cohen_kappa, stabilized
from strategies.uncertainty import entropy, least_confidence, margin

__all__ = [
    'BATCH_STRATEGIES',
    'CLASS_STRATEGIES',
    'COVERAGE_STRATEGIES',
    'DEFAULT_STRATEGY',
    'DETECTION_STRATEGIES',
    'DETECTION_THRESHOLD',
    'EmptyPoolError',
    'InvalidProbabilitiesError',
    'MC_STRATEGIES',
    'POOL_RELATIVE_STRATEGIES',
    'SEQUENCE_STRATEGIES',
    'STOP_KAPPA',
    'STOP_WINDOW',
    'STRATEGIES',
    'StrategyError',
    'UnknownStrategyError',
    'agreement_threshold',
    'badge',
    'bald',
    'check_strategy',
    'class_balanced',
    'cohen_kappa',
    'consistency',
    'coverage_batch',
    'entropy',
    'flip_horizontally',
    'greedy_coreset',
    'image_uncertainty',
    'iou',
    'label_studio_order',
    'least_confidence',
    'margin',
    'max_token_entropy',
    'min_token_margin',
    'mnlp',
    'random_scores',
    'score',
    'score_detections',
    'score_sequences',
    'selection_scores',
    'sequence_bald',
    'stabilized',
    'strategy_at',
    'token_entropy',
    'typiclust',
]
