//! The codec's bit loops compiled a second time for the CPU's bit-manipulation and vector
//! extensions (BMI1, BMI2, POPCNT, AVX2), used where it has them: the same source, so the
//! same bytes either way.

/// Whether the CPU has every extension of [`extended_copy`]'s copies.
#[inline(always)]
pub(crate) fn has_bit_extensions() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("bmi1")
            && std::arch::is_x86_feature_detected!("bmi2")
            && std::arch::is_x86_feature_detected!("popcnt")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// `extended_copy! { /// docs
/// vis fn name(arg: Type, ...) -> Ret = body; }` defines `name`, which runs the
/// `#[inline(always)]` function `body` (and everything it inlines) compiled with the
/// extensions where [`has_bit_extensions`], and as it is elsewhere.
macro_rules! extended_copy {
    (
        $(#[$doc:meta])*
        $vis:vis fn $name:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)? = $body:ident;
    ) => {
        $(#[$doc])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,bmi1,bmi2,popcnt")]
                unsafe fn extended($($arg: $ty),*) $(-> $ret)? {
                    $body($($arg),*)
                }
                if $crate::wire::cpu::has_bit_extensions() {
                    // SAFETY: the only requirement of calling a `target_feature` function is
                    // that the CPU supports its features, which `has_bit_extensions` checked.
                    return unsafe { extended($($arg),*) };
                }
            }
            $body($($arg),*)
        }
    };
}
pub(crate) use extended_copy;
