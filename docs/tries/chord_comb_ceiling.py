# A try of 2026-12-07 (docs/learned.md, "Pitch and per-recording timbre after the network"): not shipped.
"""Diagnostic: a multi-pitch comb (pitches picked iteratively with cancellation) on chord cases.
Usage: python chord_comb_ceiling.py K REL CASE_DIR:ESTIMATE.wav ..."""
import sys, numpy as np, soundfile as sf
from audiolasso_learned import melody
from serve_app.audio import stft as transform
SR = 44100
N, H = melody.N_FFT, melody.HOP

def si_sdr(est, ref):
    a = np.dot(est, ref) / (np.dot(ref, ref) + 1e-12); t = a * ref; e = est - t
    return 10 * np.log10((t @ t + 1e-12) / (e @ e + 1e-12))

def multi_f0(mag, k, rel):
    """Per frame up to k pitches: the most salient, its partials cancelled, again."""
    f0s, W = melody._salience_weights(SR)
    nb = W.shape[1]
    m = np.sqrt(mag[:nb]).copy()
    out = np.zeros((k, m.shape[1])); ok = np.zeros((k, m.shape[1]), bool)
    first = None
    freqs = np.arange(nb) * SR / N
    for j in range(k):
        sal = np.maximum(W @ m, 0)
        idx = sal.argmax(0); s = sal[idx, np.arange(m.shape[1])]
        if first is None: first = np.percentile(s, 95)
        out[j] = f0s[idx]; ok[j] = s > rel * first
        f0 = f0s[idx][None, :]
        near = np.maximum(np.round(freqs[:, None] / f0), 1) * f0
        m *= 1 - np.exp(-0.5 * ((freqs[:, None] - near) / 15) ** 2) * ok[j][None, :]
    return out, ok

def mask_for(f0, ok, nbins):
    m = np.zeros((nbins, f0.shape[1]), np.float32)
    for j in range(f0.shape[0]):
        m = np.maximum(m, melody.comb(f0[j], ok[j], nbins, SR))
    return m

def _main():
  cases = sys.argv[3:]
  K = int(sys.argv[1]); REL = float(sys.argv[2])
  for c in cases:
      case, est_path = c.split(":")
      mix, _ = sf.read(f"{case}/mixture.flac"); tgt, _ = sf.read(f"{case}/target.flac")
      if mix.ndim > 1: mix = mix.mean(1); tgt = tgt.mean(1) if tgt.ndim > 1 else tgt
      est, _ = sf.read(est_path); est = est.mean(1) if est.ndim > 1 else est
      spec = transform.stft(mix, N, H, pad_mode="constant")
      base = si_sdr(mix, tgt)
      row = [case.split('/')[-1], f"net {si_sdr(est[:len(tgt)], tgt)-base:6.2f}"]
      for name, src in (("oracle", tgt), ("fromnet", est)):
          mag = np.abs(transform.stft(src, N, H, pad_mode="constant"))
          f0, ok = multi_f0(mag, K, REL)
          mk = mask_for(f0, ok, spec.shape[0])
          y = transform.istft(spec * mk, N, H, len(mix))
          row.append(f"{name} {si_sdr(y, tgt)-base:6.2f}")
          if name == "fromnet":
              # comb applied to the estimate only (removes leakage between partials)
              es = transform.stft(est[:len(mix)], N, H, pad_mode="constant")
              y2 = transform.istft(es * mk, N, H, len(mix)); row.append(f"net*comb {si_sdr(y2, tgt)-base:6.2f}")
      print(*row)

if __name__ == "__main__":
    _main()
