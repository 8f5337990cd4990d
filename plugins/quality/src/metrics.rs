//! Image quality measures on 8-bit luminance, in plain Rust.

/// A luminance image (BT.601 weights, 0..255), row-major.
pub struct Luma {
    pub width: usize,
    pub height: usize,
    pub data: Vec<f32>,
}

/// Longer side the measures run at: bigger images are box-averaged down by
/// an integer factor first, so scores mean about the same at any resolution
/// and large photos stay cheap.
pub const ANALYSIS_SIDE: usize = 1024;

/// Pixel layout of the input: bytes per pixel and where R, G, B sit.
#[derive(Clone, Copy)]
pub struct Layout {
    pub channels: usize,
    pub r: usize,
    pub g: usize,
    pub b: usize,
}

impl Luma {
    /// Luminance of interleaved 8-bit pixels; `stride` bytes per row.
    pub fn from_pixels(pixels: &[u8], width: usize, height: usize, stride: usize, layout: Layout) -> Luma {
        let factor = (width.max(height) + ANALYSIS_SIDE - 1) / ANALYSIS_SIDE;
        let factor = factor.max(1);
        let (w, h) = ((width / factor).max(1), (height / factor).max(1));
        let mut data = vec![0f32; w * h];
        for y in 0..h {
            for x in 0..w {
                let mut sum = 0f32;
                let mut n = 0f32;
                for sy in y * factor..((y + 1) * factor).min(height) {
                    let row = &pixels[sy * stride..];
                    for sx in x * factor..((x + 1) * factor).min(width) {
                        let p = &row[sx * layout.channels..];
                        sum += 0.299 * p[layout.r] as f32 + 0.587 * p[layout.g] as f32 + 0.114 * p[layout.b] as f32;
                        n += 1.0;
                    }
                }
                data[y * w + x] = sum / n;
            }
        }
        Luma { width: w, height: h, data }
    }

    fn at(&self, x: usize, y: usize) -> f32 {
        self.data[y * self.width + x]
    }
}

/// Variance of the 4-neighbour Laplacian over the interior pixels (the
/// classic focus measure: low for blurred images). 0 for images under 3x3.
pub fn laplacian_variance(l: &Luma) -> f64 {
    if l.width < 3 || l.height < 3 {
        return 0.0;
    }
    let (mut sum, mut sum2, mut n) = (0f64, 0f64, 0f64);
    for y in 1..l.height - 1 {
        for x in 1..l.width - 1 {
            let v = (l.at(x - 1, y) + l.at(x + 1, y) + l.at(x, y - 1) + l.at(x, y + 1) - 4.0 * l.at(x, y)) as f64;
            sum += v;
            sum2 += v * v;
            n += 1.0;
        }
    }
    let mean = sum / n;
    (sum2 / n - mean * mean).max(0.0)
}

/// Noise standard deviation (0..255 units) by Immerkaer's method: the mean
/// absolute response to a Laplacian-difference mask that cancels smooth
/// image structure, scaled by sqrt(pi/2)/6. Measured per 16x16 block and
/// reported for the smoothest blocks (the 10th percentile): noise covers the
/// whole image, texture and edges do not, so they count less as noise.
pub fn noise_sigma(l: &Luma) -> f64 {
    const BLOCK: usize = 16;
    if l.width < 3 || l.height < 3 {
        return 0.0;
    }
    let (w, h) = (l.width, l.height);
    let (bw, bh) = ((w - 2).div_ceil(BLOCK), (h - 2).div_ceil(BLOCK));
    let mut sums = vec![(0f64, 0u32); bw * bh];
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let p = |dx: isize, dy: isize| l.at((x as isize + dx) as usize, (y as isize + dy) as usize);
            // [1 -2 1; -2 4 -2; 1 -2 1]
            let m = p(-1, -1) + p(1, -1) + p(-1, 1) + p(1, 1) - 2.0 * (p(0, -1) + p(-1, 0) + p(1, 0) + p(0, 1))
                + 4.0 * p(0, 0);
            let b = &mut sums[((y - 1) / BLOCK) * bw + (x - 1) / BLOCK];
            b.0 += m.abs() as f64;
            b.1 += 1;
        }
    }
    // Blocks cut short at the right and bottom edges count if at least half full.
    let mut sigmas: Vec<f64> =
        sums.iter().filter(|b| b.1 as usize * 2 >= BLOCK * BLOCK || sums.len() == 1).map(|b| b.0 / b.1 as f64).collect();
    if sigmas.is_empty() {
        sigmas = sums.iter().map(|b| b.0 / b.1.max(1) as f64).collect();
    }
    let at = sigmas.len() / 10;
    let (_, v, _) = sigmas.select_nth_unstable_by(at, |a, b| a.total_cmp(b));
    (std::f64::consts::PI / 2.0).sqrt() / 6.0 * *v
}

/// Fractions of pixels at the ends of the range: (dark <= 5, bright >= 250).
pub fn clipped_fractions(l: &Luma) -> (f64, f64) {
    let (mut dark, mut bright) = (0usize, 0usize);
    for &v in &l.data {
        if v <= 5.0 {
            dark += 1;
        } else if v >= 250.0 {
            bright += 1;
        }
    }
    let n = l.data.len().max(1) as f64;
    (dark as f64 / n, bright as f64 / n)
}

/// value / (value + half): 0 at 0, 0.5 at `half`, towards 1 above.
pub fn saturate(value: f64, half: f64) -> f32 {
    if !(value > 0.0) {
        return 0.0;
    }
    (value / (value + half)).clamp(0.0, 1.0) as f32
}

/// "portrait", "landscape" or "square" (sides within `tolerance` of each other).
pub fn orientation(width: u32, height: u32, tolerance: f64) -> &'static str {
    let (w, h) = (width as f64, height as f64);
    if (w - h).abs() <= tolerance * w.max(h) {
        "square"
    } else if h > w {
        "portrait"
    } else {
        "landscape"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn luma(w: usize, h: usize, f: impl Fn(usize, usize) -> f32) -> Luma {
        let mut data = Vec::with_capacity(w * h);
        for y in 0..h {
            for x in 0..w {
                data.push(f(x, y));
            }
        }
        Luma { width: w, height: h, data }
    }

    #[test]
    fn flat_image_is_neither_sharp_nor_noisy() {
        let l = luma(64, 64, |_, _| 128.0);
        assert_eq!(laplacian_variance(&l), 0.0);
        assert_eq!(noise_sigma(&l), 0.0);
    }

    #[test]
    fn checkerboard_is_sharper_than_a_ramp() {
        let sharp = luma(64, 64, |x, y| if (x / 4 + y / 4) % 2 == 0 { 0.0 } else { 255.0 });
        let ramp = luma(64, 64, |x, _| x as f32 * 4.0);
        assert!(laplacian_variance(&sharp) > 1000.0 * (1.0 + laplacian_variance(&ramp)));
    }

    #[test]
    fn orientation_names() {
        assert_eq!(orientation(640, 480, 0.02), "landscape");
        assert_eq!(orientation(480, 640, 0.02), "portrait");
        assert_eq!(orientation(500, 505, 0.02), "square");
    }

    #[test]
    fn downsampling_keeps_the_mean() {
        let px: Vec<u8> = (0..3000 * 10 * 3).map(|i| (i % 7) as u8 * 30).collect();
        let l = Luma::from_pixels(&px, 3000, 10, 3000 * 3, Layout { channels: 3, r: 0, g: 1, b: 2 });
        assert_eq!(l.width, 1000);
        assert_eq!(l.height, 3);
    }
}
