{-# LANGUAGE BangPatterns #-}
{-# LANGUAGE OverloadedStrings #-}

-- | The bounds-checked MessagePack decoder of the Virgil ABI: it rejects truncated input, the
-- reserved byte 0xc1, invalid UTF-8, invalid timestamps, duplicate map keys, arrays and maps as
-- map keys (the edges of ABI.md section 5, pinned by cabi/testdata/edges.json) and nesting
-- deeper than 'maxDepth' (a limit of section 11, told apart by 'decodeLimit').
--
-- Layer: wire codec. Imports "Virgil.Msgpack.Value" and "Virgil.Msgpack.Encode" (duplicate map
-- keys are found by their canonical encoding).
module Virgil.Msgpack.Decode
  ( DecodeError (..)
  , renderDecodeError
  , malformed
  , maxDepth
  , decodeValue
  , decodeTopLevel
  , decodeArgs
  ) where

import Data.Bits (shiftL, shiftR, (.&.), (.|.))
import qualified Data.ByteString as BS
import Data.ByteString.Unsafe (unsafeDrop, unsafeIndex, unsafeTake)
import Data.Int (Int16, Int32, Int64, Int8)
import Data.Text (Text)
import qualified Data.Text as T
import qualified Data.Text.Encoding as TE
import Data.List (sortBy)
import Data.Ord (comparing)
import Data.Word (Word16, Word32, Word64, Word8)
import GHC.Float (castWord32ToFloat, castWord64ToDouble)
import Virgil.Msgpack.Encode (encodeStrict)
import Virgil.Msgpack.Value

-- | Why bytes could not be decoded, and at which byte offset. 'decodeLimit' is set when the
-- bytes exceed a limit of ABI.md section 11 (nesting deeper than 'maxDepth': a
-- @virgil.LimitExceeded@) rather than being malformed (a @virgil.ArgumentError@ in a guest).
data DecodeError = DecodeError
  { decodeOffset :: !Int
  , decodeReason :: !Text
  , decodeLimit :: !Bool
  }
  deriving (Eq, Show)

-- | A malformed input at an offset (not a limit).
malformed :: Int -> Text -> DecodeError
malformed off reason = DecodeError off reason False

-- | @"truncated input: str wants 5 bytes, 3 remain at byte 1"@.
renderDecodeError :: DecodeError -> Text
renderDecodeError (DecodeError off reason _) = reason <> " at byte " <> T.pack (show off)

-- | The deepest nesting of arrays and maps a decoder accepts (ABI.md section 11).
maxDepth :: Int
maxDepth = 512

-- | Decodes exactly one value (no trailing bytes). The value's own array or map counts as the
-- first level of nesting.
decodeValue :: BS.ByteString -> Either DecodeError Value
decodeValue = whole 0

-- | Decodes exactly one value whose outermost array or map does not count as a level: an
-- argument array or a reply envelope, whose contents may each nest 'maxDepth' deep.
decodeTopLevel :: BS.ByteString -> Either DecodeError Value
decodeTopLevel = whole (-1)

-- | Decodes an argument array (ABI.md section 4): one array and nothing after it.
decodeArgs :: BS.ByteString -> Either DecodeError [Value]
decodeArgs bs
  | BS.null bs = Left (malformed 0 "expected an argument array, got nothing")
  | not (isArrayHead (unsafeIndex bs 0)) =
      Left (malformed 0 ("expected an argument array, got " <> headKind (unsafeIndex bs 0)))
  | otherwise = case decodeTopLevel bs of
      Right (Array xs) -> Right xs
      Right v -> Left (malformed 0 ("expected an argument array, got " <> kindOf v))
      Left e -> Left e
  where
    isArrayHead c = (c >= 0x90 && c <= 0x9f) || c == 0xdc || c == 0xdd

headKind :: Word8 -> Text
headKind c
  | c <= 0x7f || c >= 0xe0 || (c >= 0xcc && c <= 0xd3) = "int"
  | c <= 0x8f || c == 0xde || c == 0xdf = "map"
  | c <= 0x9f || c == 0xdc || c == 0xdd = "array"
  | c <= 0xbf || (c >= 0xd9 && c <= 0xdb) = "str"
  | c == 0xc0 = "nil"
  | c == 0xc2 || c == 0xc3 = "bool"
  | c >= 0xc4 && c <= 0xc6 = "bin"
  | c == 0xca || c == 0xcb = "float"
  | c == 0xc1 = "the invalid byte 0xc1"
  | otherwise = "ext"

whole :: Int -> BS.ByteString -> Either DecodeError Value
whole depth0 bs = case value bs depth0 0 of
  Failed e -> Left e
  Step v off
    | off == BS.length bs -> Right v
    | otherwise ->
        Left (malformed off (T.pack (show (BS.length bs - off)) <> " unexpected bytes after the value"))

-- The decoder is written as top-level functions with explicit arguments, so that decoding a value
-- allocates only the value (no closures per value): a list of a million floats costs a million
-- floats.

-- | A decoded value and the offset after it, or why it could not be decoded.
data Step = Step !Value {-# UNPACK #-} !Int | Failed DecodeError

-- | Decodes the value at @off@; @depth@ counts the arrays and maps already open around it.
value :: BS.ByteString -> Int -> Int -> Step
value bs !depth !off
  | off >= BS.length bs = Failed (malformed off "truncated input: expected a value")
  | c <= 0x7f = Step (Int (toInteger c)) (off + 1)
  | c >= 0xe0 = Step (Int (toInteger (fromIntegral c :: Int8))) (off + 1)
  | c <= 0x8f = container bs depth off (fromIntegral (c .&. 0x0f)) 1 True
  | c <= 0x9f = container bs depth off (fromIntegral (c .&. 0x0f)) 1 False
  | c <= 0xbf = str bs off (fromIntegral (c .&. 0x1f)) 1
  | otherwise = case c of
      0xc0 -> Step Nil (off + 1)
      0xc1 -> Failed (malformed off "invalid byte 0xc1")
      0xc2 -> Step (Bool False) (off + 1)
      0xc3 -> Step (Bool True) (off + 1)
      0xc4 | has 2 -> bin bs off (len8 bs off) 2
      0xc5 | has 3 -> bin bs off (len16 bs off) 3
      0xc6 | has 5 -> bin bs off (len32 bs off) 5
      0xc7 | has 2 -> ext bs off (len8 bs off) 2
      0xc8 | has 3 -> ext bs off (len16 bs off) 3
      0xc9 | has 5 -> ext bs off (len32 bs off) 5
      0xca | has 5 -> Step (Float32 (castWord32ToFloat (be32 bs (off + 1)))) (off + 5)
      0xcb | has 9 -> Step (Float (castWord64ToDouble (be64 bs (off + 1)))) (off + 9)
      0xcc | has 2 -> Step (Int (toInteger (unsafeIndex bs (off + 1)))) (off + 2)
      0xcd | has 3 -> Step (Int (toInteger (be16 bs (off + 1)))) (off + 3)
      0xce | has 5 -> Step (Int (toInteger (be32 bs (off + 1)))) (off + 5)
      0xcf | has 9 -> Step (Int (toInteger (be64 bs (off + 1)))) (off + 9)
      0xd0 | has 2 -> Step (Int (toInteger (fromIntegral (unsafeIndex bs (off + 1)) :: Int8))) (off + 2)
      0xd1 | has 3 -> Step (Int (toInteger (fromIntegral (be16 bs (off + 1)) :: Int16))) (off + 3)
      0xd2 | has 5 -> Step (Int (toInteger (fromIntegral (be32 bs (off + 1)) :: Int32))) (off + 5)
      0xd3 | has 9 -> Step (Int (toInteger (fromIntegral (be64 bs (off + 1)) :: Int64))) (off + 9)
      0xd4 -> ext bs off 1 1
      0xd5 -> ext bs off 2 1
      0xd6 -> ext bs off 4 1
      0xd7 -> ext bs off 8 1
      0xd8 -> ext bs off 16 1
      0xd9 | has 2 -> str bs off (len8 bs off) 2
      0xda | has 3 -> str bs off (len16 bs off) 3
      0xdb | has 5 -> str bs off (len32 bs off) 5
      0xdc | has 3 -> container bs depth off (len16 bs off) 3 False
      0xdd | has 5 -> container bs depth off (len32 bs off) 5 False
      0xde | has 3 -> container bs depth off (len16 bs off) 3 True
      0xdf | has 5 -> container bs depth off (len32 bs off) 5 True
      _ -> truncated bs off (headerLength c)
  where
    c = unsafeIndex bs off
    has n = BS.length bs - off >= n

-- | The length of a header whose fields did not fit (for the truncation message).
headerLength :: Word8 -> Int
headerLength c = case c of
  0xc4 -> 2
  0xc5 -> 3
  0xc6 -> 5
  0xc7 -> 2
  0xc8 -> 3
  0xc9 -> 5
  0xca -> 5
  0xcb -> 9
  0xcc -> 2
  0xcd -> 3
  0xce -> 5
  0xcf -> 9
  0xd0 -> 2
  0xd1 -> 3
  0xd2 -> 5
  0xd3 -> 9
  0xd9 -> 2
  0xda -> 3
  0xdb -> 5
  0xdc -> 3
  0xde -> 3
  _ -> 5

truncated :: BS.ByteString -> Int -> Int -> Step
truncated bs off want =
  Failed
    ( malformed off
        ( "truncated input: " <> headKind (unsafeIndex bs off) <> " wants " <> T.pack (show want)
            <> " bytes, " <> T.pack (show (BS.length bs - off)) <> " remain"
        )
    )
{-# NOINLINE truncated #-}

be16 :: BS.ByteString -> Int -> Word16
be16 bs o = (fromIntegral (unsafeIndex bs o) `shiftL` 8) .|. fromIntegral (unsafeIndex bs (o + 1))
{-# INLINE be16 #-}

be32 :: BS.ByteString -> Int -> Word32
be32 bs o = (fromIntegral (be16 bs o) `shiftL` 16) .|. fromIntegral (be16 bs (o + 2))
{-# INLINE be32 #-}

be64 :: BS.ByteString -> Int -> Word64
be64 bs o = (fromIntegral (be32 bs o) `shiftL` 32) .|. fromIntegral (be32 bs (o + 4))
{-# INLINE be64 #-}

-- The length fields after the type byte at @off@.
len8, len16, len32 :: BS.ByteString -> Int -> Int
len8 bs off = fromIntegral (unsafeIndex bs (off + 1))
len16 bs off = fromIntegral (be16 bs (off + 1))
len32 bs off = fromIntegral (be32 bs (off + 1))

-- | A str of n bytes after a header of h bytes.
str :: BS.ByteString -> Int -> Int -> Int -> Step
str bs off n h
  | BS.length bs - off - h < n = truncated bs off (h + n)
  | otherwise = case TE.decodeUtf8' (slice bs (off + h) n) of
      Right t -> Step (Str t) (off + h + n)
      Left _ -> Failed (malformed off "invalid UTF-8 in str")

-- | A bin of n bytes after a header of h bytes (sharing the input's buffer).
bin :: BS.ByteString -> Int -> Int -> Int -> Step
bin bs off n h
  | BS.length bs - off - h < n = truncated bs off (h + n)
  | otherwise = Step (Bin (slice bs (off + h) n)) (off + h + n)

slice :: BS.ByteString -> Int -> Int -> BS.ByteString
slice bs o n = unsafeTake n (unsafeDrop o bs)
{-# INLINE slice #-}

-- | An extension with n data bytes, whose type byte follows a header of h bytes. Type -1 is the
-- timestamp.
ext :: BS.ByteString -> Int -> Int -> Int -> Step
ext bs off n h
  | BS.length bs - off - h - 1 < n = truncated bs off (h + 1 + n)
  | t == -1 = case timestamp bs off n (off + h + 1) of
      Right v -> Step v next
      Left e -> Failed e
  | otherwise = Step (Ext t (slice bs (off + h + 1) n)) next
  where
    t = fromIntegral (unsafeIndex bs (off + h)) :: Int8
    next = off + h + 1 + n

timestamp :: BS.ByteString -> Int -> Int -> Int -> Either DecodeError Value
timestamp bs off n o = case n of
  4 -> Right (Time (fromIntegral (be32 bs o)) 0)
  8 ->
    let w = be64 bs o
     in checkNsec (fromIntegral (w .&. 0x3ffffffff)) (fromIntegral (w `shiftR` 34))
  12 -> checkNsec (fromIntegral (be64 bs (o + 4))) (be32 bs o)
  _ -> Left (malformed off ("invalid timestamp of " <> T.pack (show n) <> " bytes"))
  where
    checkNsec sec nsec
      | nsec > 999999999 =
          Left (malformed off ("invalid timestamp: nanoseconds " <> T.pack (show nsec)))
      | otherwise = Right (Time sec nsec)

-- | An array (or map) of n elements (pairs) after a header of h bytes.
container :: BS.ByteString -> Int -> Int -> Int -> Int -> Bool -> Step
container bs depth off n h isMap
  | depth + 1 > maxDepth =
      Failed (DecodeError off ("nesting deeper than " <> T.pack (show maxDepth) <> " levels") True)
  | remaining < (if isMap then 2 * n else n) =
      Failed
        ( malformed off
            ( "truncated input: " <> (if isMap then "map" else "array") <> " of " <> T.pack (show n)
                <> " entries, " <> T.pack (show remaining) <> " bytes remain"
            )
        )
  | isMap = pairs bs (depth + 1) off n (off + h) []
  | otherwise = elems bs (depth + 1) n (off + h) []
  where
    remaining = BS.length bs - off - h

elems :: BS.ByteString -> Int -> Int -> Int -> [Value] -> Step
elems _ _ 0 !o acc = Step (Array (reverse acc)) o
elems bs depth k !o acc = case value bs depth o of
  Failed e -> Failed e
  Step v o' -> elems bs depth (k - 1) o' (v : acc)

-- | The pairs of the map at @start@. A key that is an array or a map, and two keys equal as
-- values, make the map malformed (ABI.md section 5).
pairs :: BS.ByteString -> Int -> Int -> Int -> Int -> [(Value, Value)] -> Step
pairs _ _ start 0 !o acc = case duplicateKey (map fst acc) of
  Nothing -> Step (Map (reverse acc)) o
  Just k -> Failed (malformed start ("duplicate map key " <> describeKey k))
pairs bs depth start k !o acc = case value bs depth o of
  Failed e -> Failed e
  Step key o'
    | isContainer key -> Failed (malformed o ("a map key is " <> article (kindOf key) <> ", not a scalar"))
    | otherwise -> case value bs depth o' of
        Failed e -> Failed e
        Step v o'' -> pairs bs depth start (k - 1) o'' ((key, v) : acc)
  where
    isContainer (Array _) = True
    isContainer (Map _) = True
    isContainer _ = False
    article t = if t == "array" then "an array" else "a " <> t

-- | A key that occurs twice, if any. Keys are equal when their canonical encodings are (so
-- @d90161@ and @a161@ are one key, an int and a float of the same number are not, and floats
-- compare bit for bit). The keys are sorted once: n log n for a map of n entries.
duplicateKey :: [Value] -> Maybe Value
duplicateKey keys = case keys of
  [] -> Nothing
  [_] -> Nothing
  _
    | all isStr keys -> firstRepeat [(t, k) | k@(Str t) <- keys]
    | otherwise -> firstRepeat [(encodeStrict k, k) | k <- keys]
  where
    isStr (Str _) = True
    isStr _ = False
    firstRepeat :: Ord a => [(a, Value)] -> Maybe Value
    firstRepeat = adjacent . sortBy (comparing fst)
    adjacent ((a, k) : rest@((b, _) : _))
      | a == b = Just k
      | otherwise = adjacent rest
    adjacent _ = Nothing

-- | A key as error messages show it.
describeKey :: Value -> Text
describeKey k = case k of
  Str t -> T.pack (show t)
  Int n -> T.pack (show n)
  _ -> kindOf k
