"""NTU RGB+D data: raw reader (ntu), preprocessing (preprocess), other projects' files (formats),
raw folder to arrays (prepare), synthetic mini-NTU (synthetic), torch Dataset (dataset)."""
