"""Hot spots and spike alerts: H3 grid counts, Getis-Ord Gi*, Local Moran's I, emerging hot spots,
CDC EARS C1/C2/C3 and a seasonal count regression (issue #5; plain-words guide in docs/methods/hot-spots.md and spike-alerts.md)."""
