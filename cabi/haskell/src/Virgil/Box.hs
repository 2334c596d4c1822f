{-# LANGUAGE MultiWayIf #-}
{-# LANGUAGE OverloadedStrings #-}

-- | The byte box and the ABI's memory protocol (cabi/ABI.md sections 1 to 3), over the C files
-- of @cbits/@ (@virgil_alloc.c@: this guest's allocator, its statistics and the counting of calls
-- in flight).
--
-- Invariants of the types that cross the boundary:
--
-- * A 'VirgilBox' is the C struct @virgil_box@ (@{uint8_t *ptr; uint64_t len;}@, 16 bytes),
--   only ever behind a pointer. The argument box and its bytes belong to the caller and live
--   only for the call: 'boxBytes' copies them before anything else reads them. The out box is
--   the caller's too; on entry it holds the caller's scratch buffer (which the guest may fill
--   but never frees), and on return it points either into that buffer or at a buffer of this
--   guest's allocator ('virgilRealloc'), which the caller then owns and frees through
--   @virgil_realloc@.
-- * Any thread may call; nothing here keeps state between calls except the allocator's
--   counters (in C, atomic).
--
-- Layer: box and ABI, the bottom of the kit. Imports nothing of the kit.
module Virgil.Box
  ( -- * The box and the function signature
    VirgilBox
  , VirgilFunction
    -- * Reading and writing boxes
  , boxBytes
  , peekBox
  , setBox
  , clearBox
    -- * Writing a reply (the scratch-buffer protocol)
  , emit
  , AllocationFailed (..)
  , virgilRealloc
    -- * Calls in flight
  , enterCall
  , leaveCall
  ) where

import Control.Exception (Exception (..), onException, throwIO)
import Control.Monad (when)
import qualified Data.ByteString as BS
import qualified Data.ByteString.Builder as B
import qualified Data.ByteString.Builder.Extra as BE
import Data.ByteString.Unsafe (unsafeUseAsCStringLen)
import Data.IORef (IORef, newIORef, readIORef, writeIORef)
import Data.Text (Text)
import qualified Data.Text as T
import Data.Word (Word64, Word8)
import Foreign.C.Types (CSize (..))
import Foreign.Marshal.Utils (copyBytes)
import Foreign.Ptr (Ptr, castPtr, nullPtr, plusPtr)
import Foreign.Storable (peekByteOff, pokeByteOff)

-- | The C struct @virgil_box@ (@{uint8_t *ptr; uint64_t len;}@), only ever behind a pointer.
data VirgilBox

-- | The one signature of every exported function.
type VirgilFunction = Ptr VirgilBox -> Ptr VirgilBox -> IO ()

foreign import ccall unsafe "virgil_hs_realloc"
  c_realloc :: Ptr Word8 -> CSize -> IO (Ptr Word8)

foreign import ccall unsafe "virgil_hs_enter"
  c_enter :: IO ()

foreign import ccall unsafe "virgil_hs_leave"
  c_leave :: IO ()

-- | This guest's allocator (@virgil_realloc@ of ABI.md section 3): allocates, resizes, or frees
-- when the size is 0; NULL when it cannot allocate.
virgilRealloc :: Ptr Word8 -> Int -> IO (Ptr Word8)
virgilRealloc p n = c_realloc p (fromIntegral n)

-- | Counts a call in flight (for @virgil_stats@); every 'enterCall' is followed by 'leaveCall'.
enterCall :: IO ()
enterCall = c_enter

-- | Ends a call counted by 'enterCall'.
leaveCall :: IO ()
leaveCall = c_leave

-- | The guest could not allocate a buffer of this many bytes for its reply (a
-- @virgil.OutOfMemory@, ABI.md section 7).
newtype AllocationFailed = AllocationFailed Int
  deriving (Show)

instance Exception AllocationFailed where
  displayException (AllocationFailed n) =
    "the guest could not allocate " ++ show n ++ " bytes for its reply"

------------------------------------------------------------------------------------------------
-- Boxes

-- | Copies the borrowed argument bytes (the caller owns them only for the call). A NULL box,
-- and a box of no bytes, are no bytes at all; a NULL pointer with a length, or a length no
-- memory can have, is a protocol fault (ABI.md section 2), returned as its description, and the
-- pointer is never read.
boxBytes :: Ptr VirgilBox -> IO (Either Text BS.ByteString)
boxBytes box
  | box == nullPtr = pure (Right BS.empty)
  | otherwise = do
      (ptr, len) <- peekBox box
      if
          | len == 0 -> pure (Right BS.empty)
          | ptr == nullPtr -> pure (Left ("the argument box is NULL with a length of " <> T.pack (show len) <> " bytes"))
          | len > fromIntegral (maxBound :: Int) ->
              pure (Left ("the argument box declares " <> T.pack (show len) <> " bytes, more than any memory holds"))
          | otherwise -> Right <$> BS.packCStringLen (castPtr ptr, fromIntegral len)

-- | The pointer and length a (non-NULL) box holds.
peekBox :: Ptr VirgilBox -> IO (Ptr Word8, Word64)
peekBox box = do
  ptr <- peekByteOff box 0
  len <- peekByteOff box 8
  pure (ptr, len)

-- | Points a (non-NULL) box at @len@ bytes at @ptr@.
setBox :: Ptr VirgilBox -> (Ptr Word8, Int) -> IO ()
setBox box (ptr, len) = do
  pokeByteOff box 0 ptr
  pokeByteOff box 8 (fromIntegral len :: Word64)

-- | Sets a box to @{NULL, 0}@ (nothing for a NULL box).
clearBox :: Ptr VirgilBox -> IO ()
clearBox box
  | box == nullPtr = pure ()
  | otherwise = do
      pokeByteOff box 0 (nullPtr :: Ptr Word8)
      pokeByteOff box 8 (0 :: Word64)

------------------------------------------------------------------------------------------------
-- The scratch-buffer protocol

-- | Runs a builder straight into the caller's scratch buffer (@room@ bytes at @scratch@), moving
-- to a buffer of this guest's allocator when the reply outgrows it (ABI.md section 3). Returns
-- where the reply is and its length. When the builder throws (an exception hidden in the
-- result), the buffer it allocated is freed and the exception rethrown; nothing is ever written
-- outside @scratch[0 .. room)@.
emit :: Ptr Word8 -> Int -> B.Builder -> IO (Ptr Word8, Int)
emit scratch room builder = do
  owned <- newIORef nullPtr
  let start
        | scratch /= nullPtr && room > 0 = loop scratch room 0 (BE.runBuilder builder)
        | otherwise = do
            buf <- allocate owned nullPtr 256
            loop buf 256 0 (BE.runBuilder builder)
      loop buf size used writer = do
        (n, next) <- writer (buf `plusPtr` used) (size - used)
        let used' = used + n
        case next of
          BE.Done -> finish buf size used'
          BE.More minSize writer' -> do
            (buf', size') <- grow buf size used' minSize
            loop buf' size' used' writer'
          BE.Chunk bs writer' -> do
            (buf', size') <- grow buf size used' (BS.length bs)
            unsafeUseAsCStringLen bs $ \(p, k) -> copyBytes (buf' `plusPtr` used') (castPtr p) k
            loop buf' size' (used' + BS.length bs) writer'
      -- Room for at least `need` more bytes after `used`.
      grow buf size used need
        | size - used >= need = pure (buf, size)
        | otherwise = do
            let size' = max (2 * size) (used + need + 4096)
            buf' <- if buf == scratch then allocate owned nullPtr size' else allocate owned buf size'
            when (buf == scratch) (copyBytes buf' buf used)
            pure (buf', size')
      -- A guest buffer with much room left over is trimmed to the reply (and kept as it is
      -- if trimming fails).
      finish buf size used
        | buf /= scratch && size - used > 4096 = do
            buf' <- c_realloc buf (fromIntegral used)
            pure (if buf' == nullPtr then buf else buf', used)
        | otherwise = pure (buf, used)
  start `onException` (readIORef owned >>= \p -> when (p /= nullPtr) (() <$ c_realloc p 0))

-- | (Re)allocates this guest's buffer, keeping track of it so that it can be freed if the reply
-- fails; throws 'AllocationFailed'.
allocate :: IORef (Ptr Word8) -> Ptr Word8 -> Int -> IO (Ptr Word8)
allocate owned old size = do
  p <- c_realloc old (fromIntegral size)
  if p == nullPtr
    then throwIO (AllocationFailed size)
    else p <$ writeIORef owned p
