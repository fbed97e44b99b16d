from .views_data_preprocessor import ViewsDataPreprocessor

__all__ = ['ViewsDataPreprocessor']
