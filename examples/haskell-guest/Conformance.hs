{-# LANGUAGE DataKinds #-}
{-# LANGUAGE DeriveGeneric #-}
{-# LANGUAGE DerivingVia #-}
{-# LANGUAGE OverloadedStrings #-}
{-# LANGUAGE ScopedTypeVariables #-}

-- | The Virgil conformance library in Haskell (cabi/ABI.md section 9), built as
-- @libconformance_haskell.so@ by @make -C cabi/haskell guest@.
--
-- Each function is ordinary Haskell; 'function' describes it for the manifest and a one-line
-- binding exports it under its C name. Besides the functions every guest has, this one exports
-- @lazy_error@ and @lazy_div@, whose results hide an @error@ call and a division by zero that
-- only strike when the result is forced: they come back to the host as exceptions.
module Conformance where

import Control.Concurrent (threadDelay)
import Control.Exception (SomeException, catch)
import Data.ByteString (ByteString)
import Data.Function ((&))
import Data.Int (Int64)
import Data.Text (Text)
import qualified Data.Text as T
import GHC.Generics (Generic)
import GHC.Stack (HasCallStack)
import Virgil

-- | add(a, b): the sum, or OverflowError when it does not fit 64 bits.
addImpl :: Int64 -> Int64 -> IO Int64
addImpl a b
  | s > toInteger (maxBound :: Int64) || s < toInteger (minBound :: Int64) =
      raise "OverflowError" ("integer overflow: " <> showT a <> " + " <> showT b <> " does not fit 64 bits")
  | otherwise = pure (fromInteger s)
  where
    s = toInteger a + toInteger b

-- | greet(name): a pure function.
greetImpl :: Text -> Text
greetImpl name = "Hello, " <> name <> "!"

-- | divide(a, b): ZeroDivisionError when b is zero.
divideImpl :: Double -> Double -> IO Double
divideImpl a b
  | b == 0 = raise "ZeroDivisionError" "division by zero"
  | otherwise = pure (a / b)

-- | echo(v): any value, unchanged.
echoImpl :: Value -> Value
echoImpl = id

-- | echo_bytes(b): bytes, unchanged.
echoBytesImpl :: ByteString -> ByteString
echoBytesImpl = id

-- | The result of stats: a record, sent as {"count": int, "mean": float, "min": float,
-- "max": float}.
data Stats = Stats
  { statsCount :: Int
  , statsMean :: Double
  , statsMin :: Double
  , statsMax :: Double
  }
  deriving stock (Generic)
  deriving (ToMsgpack, FromMsgpack) via (PrefixedRecord "stats" Stats)

-- | stats(xs): ValueError for an empty list.
statsImpl :: [Double] -> IO Stats
statsImpl [] = raise "ValueError" "stats of an empty list"
statsImpl xs =
  pure
    Stats
      { statsCount = length xs
      , statsMean = sum xs / fromIntegral (length xs)
      , statsMin = minimum xs
      , statsMax = maximum xs
      }

-- | fail_chain(depth): ChainLevel{depth} caused by ChainLevel{depth-1} ... caused by
-- ChainLevel1, each raised in its own frame.
failChainImpl :: Int -> IO ()
failChainImpl depth
  | depth < 1 || depth > 100 =
      raise "ValueError" ("depth must be between 1 and 100, got " <> showT depth)
  | otherwise = chainLevel depth

-- | Level n runs level n - 1, which fails first, and fails in turn with it as the cause.
chainLevel :: HasCallStack => Int -> IO ()
chainLevel 1 = raise "ChainLevel1" "level 1"
chainLevel n =
  chainLevel (n - 1) `catch` \(below :: SomeException) ->
    raiseFrom ("ChainLevel" <> showT n) ("level " <> showT n) below

-- | crash(): fails the Haskell way, with 'error'; the host sees ErrorCall with its location.
crashImpl :: HasCallStack => IO ()
crashImpl = error "crash: the Haskell guest called error"

-- | sleep_ms(ms): 0 to 10,000 milliseconds.
sleepMsImpl :: Int -> IO ()
sleepMsImpl ms
  | ms < 0 || ms > 10000 = raise "ValueError" ("ms must be between 0 and 10000, got " <> showT ms)
  | otherwise = threadDelay (ms * 1000)

-- | lazy_error(): a list whose second element is an 'error' call, unevaluated when the function
-- returns. Forcing the result inside the call turns it into an ErrorCall exception.
lazyErrorImpl :: IO [Int]
lazyErrorImpl = pure [1, error "lazy_error: an error hidden in the result's second element", 3]

-- | lazy_div(a, b): @a `div` b@, left lazy: b == 0 throws ArithException (divide by zero) only
-- when the result is encoded.
lazyDivImpl :: Int -> Int -> Int
lazyDivImpl = div

showT :: Show a => a -> Text
showT = T.pack . show

------------------------------------------------------------------------------------------------
-- Descriptions (for the manifest) and exports: one line per function.

addF, greetF, divideF, echoF, echoBytesF, statsF, failChainF, crashF, sleepMsF, lazyErrorF, lazyDivF :: Function
addF = function "add" addImpl & withParams ["a", "b"] & withDoc "add returns a + b, raising OverflowError when the sum does not fit 64 bits."
greetF = function "greet" greetImpl & withParams ["name"] & withDoc "greet returns a greeting for name."
divideF = function "divide" divideImpl & withParams ["a", "b"] & withDoc "divide returns a / b, raising ZeroDivisionError when b is zero."
echoF = function "echo" echoImpl & withParams ["v"] & withDoc "echo returns v unchanged."
echoBytesF = function "echo_bytes" echoBytesImpl & withParams ["b"] & withDoc "echo_bytes returns b unchanged."
statsF = function "stats" statsImpl & withParams ["xs"] & withDoc "stats summarizes xs; an empty list raises ValueError."
failChainF = function "fail_chain" failChainImpl & withParams ["depth"] & withDoc "fail_chain raises ChainLevel{depth} with a cause chain depth levels deep."
crashF = function "crash" crashImpl & withDoc "crash calls error; the host sees ErrorCall."
sleepMsF = function "sleep_ms" sleepMsImpl & withParams ["ms"] & withDoc "sleep_ms sleeps ms milliseconds (0 to 10000)."
lazyErrorF = function "lazy_error" lazyErrorImpl & withDoc "lazy_error returns a list whose second element is an error call."
lazyDivF = function "lazy_div" lazyDivImpl & withParams ["a", "b"] & withDoc "lazy_div returns a `div` b, lazily: b == 0 raises ArithException."

foreign export ccall add :: VirgilFunction
foreign export ccall greet :: VirgilFunction
foreign export ccall divide :: VirgilFunction
foreign export ccall echo :: VirgilFunction
foreign export ccall echo_bytes :: VirgilFunction
foreign export ccall stats :: VirgilFunction
foreign export ccall fail_chain :: VirgilFunction
foreign export ccall crash :: VirgilFunction
foreign export ccall sleep_ms :: VirgilFunction
foreign export ccall lazy_error :: VirgilFunction
foreign export ccall lazy_div :: VirgilFunction
foreign export ccall virgil_manifest :: VirgilFunction

add, greet, divide, echo, echo_bytes, stats, fail_chain, crash, sleep_ms, lazy_error, lazy_div, virgil_manifest :: VirgilFunction
add = exportFunction addF
greet = exportFunction greetF
divide = exportFunction divideF
echo = exportFunction echoF
echo_bytes = exportFunction echoBytesF
stats = exportFunction statsF
fail_chain = exportFunction failChainF
crash = exportFunction crashF
sleep_ms = exportFunction sleepMsF
lazy_error = exportFunction lazyErrorF
lazy_div = exportFunction lazyDivF
virgil_manifest =
  manifest "conformance" "1.0.0"
    [addF, greetF, divideF, echoF, echoBytesF, statsF, failChainF, crashF, sleepMsF, lazyErrorF, lazyDivF]
