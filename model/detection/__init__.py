"""Object detection: one ``<RectangleLabels>`` over one ``<Image>``, learned by a CenterNet head on
EfficientNet-Lite0."""
from model.detection.network import Detector
from model.detection.predictor import DetectionInference, DetectionPredictor
from model.detection.task_type import ObjectDetection
from model.detection.training import OBJECT_DETECTION, fine_tune_detector

__all__ = ['OBJECT_DETECTION', 'DetectionInference', 'DetectionPredictor', 'Detector', 'ObjectDetection',
           'fine_tune_detector']
