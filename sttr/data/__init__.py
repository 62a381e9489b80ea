"""Skeleton data: NTU RGB+D's raw reader (ntu) and Kinetics-skeleton's clip reader and conversion (kinetics),
one entry per dataset (registry), NTU sample and action names (names), preprocessing (preprocess), the input
pipeline shared with predict (transforms), prepared files in and out (formats), raw folders to arrays (prepare:
prepare-ntu; prepare_kinetics: prepare-kinetics), the synthetic sets (synthetic: mini-NTU, and synthetic.kinetics
in the Kinetics-skeleton format) and the torch Dataset (dataset)."""
