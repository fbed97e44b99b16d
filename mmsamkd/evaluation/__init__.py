from .transfer_metric import TransferMetric, expected_calibration_error

__all__ = ['TransferMetric', 'expected_calibration_error']
